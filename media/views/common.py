"""What media's views share: JSON refusals for the upload endpoints. (The object
store being down is answered by ent.errors.StorageUnavailableMiddleware.)"""

from django.http import JsonResponse


def json_error(message, status=400, fields=None):
    """A JSON endpoint's refusal: the message, and a form's errors by field."""
    body = {"error": str(message)}
    if fields:
        body["fields"] = {k: [str(e) for e in v] for k, v in fields.items()}
    return JsonResponse(body, status=status)
