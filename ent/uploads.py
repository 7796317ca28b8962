"""Upload handlers. Django drops a file part whose body never ends (a
connection cut half-way) and hands the view the rest of the form, so a
truncated upload could create a record without the file its author sent.
These handlers refuse the whole request instead (400), so nothing is recorded."""

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParserError


class _RefuseInterrupted:
    def upload_interrupted(self):
        super().upload_interrupted()
        raise MultiPartParserError("The upload was interrupted before the end of the file.")


class MemoryUploadHandler(_RefuseInterrupted, MemoryFileUploadHandler):
    pass


class TemporaryUploadHandler(_RefuseInterrupted, TemporaryFileUploadHandler):
    pass
