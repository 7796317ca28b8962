from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("nouvelle/", views.new_conversation, name="new"),
    path("c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("c/<int:conversation_id>/ecrire/", views.post_message, name="post"),
    path("c/<int:conversation_id>/archiver/", views.archive, name="archive"),
    path("m/<int:message_id>/", views.message_fragment, name="message"),
    path("m/<int:message_id>/modifier/", views.edit_message, name="edit"),
    path("m/<int:message_id>/supprimer/", views.delete_message, name="delete"),
    path("m/<int:message_id>/signaler/", views.report_message, name="report"),
    path("pj/<int:attachment_id>/", views.attachment, name="attachment"),
    path("moderation/", views.reports, name="reports"),
    path("moderation/c/<int:conversation_id>/", views.moderate_conversation, name="moderate"),
    path("moderation/c/<int:conversation_id>/fermer/", views.close_conversation, name="close"),
    path("moderation/m/<int:message_id>/masquer/", views.hide_message, name="hide"),
    path("moderation/signalements/<int:report_id>/traite/", views.dismiss_report, name="dismiss_report"),
    path("regles/<int:school_id>/", views.policy, name="policy"),
    path("annonces/", views.announcements, name="announcements"),
    path("annonces/nouvelle/", views.new_announcement, name="new_announcement"),
    path("annonces/<int:announcement_id>/", views.announcement, name="announcement"),
    path("annonces/<int:announcement_id>/confirmer/", views.confirm_announcement, name="confirm"),
    path("annonces/<int:announcement_id>/relancer/", views.remind_announcement, name="remind"),
    path("annonces/<int:announcement_id>/repondre/", views.reply_announcement, name="reply"),
]
