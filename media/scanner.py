"""clamd's INSTREAM client for the media app: the one every upload surface uses
(ent/files.py), under the names media's code calls it by."""

from ent.files import ScannerUnavailable, scan_stream
from ent.files import scanner_configured as configured
from ent.files import scanner_ping as ping

__all__ = ["ScannerUnavailable", "configured", "ping", "scan_stream"]
