"""Every change of state for resources, fleets and tablets, one module per concern:

- items: library items and their files (proposals, versions, images, deleting);
- uploads: direct uploads, browser → object store;
- scans: the antivirus scan of versions and images;
- reviews: the référent's decisions and the assignments to classes;
- fleets: tablet fleets, tablets, the apps they get and their manifest;
- repository: the fleets' F-Droid repositories (what a change makes stale, builds);
- common: what they share (quotas, keys, the one-signer rule).

The names below are re-exported for the callers outside this package (views,
tasks, the demo, bench, tests). Code inside it imports the module that holds
the name, and a test that replaces a name patches that module (where it is
looked up): patching it here would change nothing."""

from ent.errors import FileRefused
from media.actions.common import check_upload_allowed
from media.actions.fleets import (
    build_manifest,
    do_create_fleet,
    do_enrol_tablet,
    do_remove_fleet_item,
    do_revoke_tablet,
    do_set_fleet_item,
)
from media.actions.items import (
    do_add_illustration,
    do_add_version,
    do_delete_item,
    do_delete_version,
    do_propose_item,
    inspect_local,
)
from media.actions.repository import do_record_repo_failure, do_request_repo_build
from media.actions.reviews import do_approve, do_assign, do_reject, do_withdraw
from media.actions.scans import do_scan_illustration, do_scan_version
from media.actions.uploads import do_finish_direct_upload, do_start_direct_upload

__all__ = [
    "FileRefused",
    "build_manifest",
    "check_upload_allowed",
    "do_add_illustration",
    "do_add_version",
    "do_approve",
    "do_assign",
    "do_create_fleet",
    "do_delete_item",
    "do_delete_version",
    "do_enrol_tablet",
    "do_finish_direct_upload",
    "do_propose_item",
    "do_record_repo_failure",
    "do_reject",
    "do_remove_fleet_item",
    "do_request_repo_build",
    "do_revoke_tablet",
    "do_scan_illustration",
    "do_scan_version",
    "do_set_fleet_item",
    "do_start_direct_upload",
    "do_withdraw",
    "inspect_local",
]
