from django.core.management.base import BaseCommand, CommandError

from ent.directory import letters
from ent.directory.models import School, SchoolClass


class Command(BaseCommand):
    help = (
        "Print the login letters of a school or a class into a PDF: one page per pupil and per parent, "
        "each with a NEW activation code (earlier codes stop working)."
    )

    def add_arguments(self, parser):
        parser.add_argument("uai", help="UAI of the school")
        parser.add_argument("--class", dest="class_name", default="", help="only this class (its name)")
        parser.add_argument("--output", default="lettres.pdf", help="PDF file to write")
        parser.add_argument("--all", action="store_true", help="also accounts already activated")
        parser.add_argument("--dry-run", action="store_true", help="list who would get a letter; issue no code")

    def handle(self, uai, class_name, output, all, dry_run, **options):
        school = School.objects.filter(uai=uai.upper()).first()
        if school is None:
            raise CommandError(f"No school with UAI {uai}.")
        klass = None
        if class_name:
            klass = SchoolClass.objects.filter(school=school, year__is_current=True, name=class_name).first()
            if klass is None:
                raise CommandError(f"No class {class_name!r} this year in {school}.")
        if dry_run:
            planned = letters.plan_letters(school, klass=klass, only_new=not all)
            for letter in planned:
                self.stdout.write(f"  {letter.person.username} ({'pupil' if letter.is_pupil else 'parent'})")
            self.stdout.write(self.style.SUCCESS(f"Dry run: {len(planned)} letter(s); no code issued."))
            return
        with open(output, "wb") as out:
            done = letters.do_print_letters(school, out, by=None, klass=klass, only_new=not all)
        self.stdout.write(self.style.SUCCESS(f"{len(done)} letter(s) written to {output}."))
