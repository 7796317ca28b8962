"""What a tablet grants an app, and what each permission means, in plain words.

The set is Android's, not just the manifest's <uses-permission> lines:
- <uses-permission> and <uses-permission-sdk-23> (granted on Android 6.0 and later,
  which every tablet a fleet runs is);
- the permissions Android implies for old target SDKs (what `aapt dump badging`
  prints as uses-implied-permission, androguard's get_uses_implied_permission_list),
  plus the platform's split permissions (frameworks/base/data/etc/platform.xml):
  an old app asking for location also gets background location, and so on;
- a permission whose maxSdkVersion is below the app's minSdkVersion is dropped:
  no device the app installs on grants it.
"""

from dataclasses import dataclass

from django.utils.translation import get_language

DANGEROUS = "dangerous"
SIGNATURE = "signature"
NORMAL = "normal"
# Not an Android permission: declared by another app, its level is unknown here.
OTHER = "other"

LEVEL_ORDER = {DANGEROUS: 0, SIGNATURE: 1, OTHER: 2, NORMAL: 3}

# Android's split permissions: (permission held, permission added, target SDK below which).
# From frameworks/base/data/etc/platform.xml (<split-permission>), Android 10 to 13.
SPLIT_PERMISSIONS = [
    ("WRITE_EXTERNAL_STORAGE", "READ_EXTERNAL_STORAGE", 10_000),  # always
    ("READ_CONTACTS", "READ_CALL_LOG", 16),
    ("WRITE_CONTACTS", "WRITE_CALL_LOG", 16),
    ("ACCESS_FINE_LOCATION", "ACCESS_BACKGROUND_LOCATION", 29),
    ("ACCESS_COARSE_LOCATION", "ACCESS_BACKGROUND_LOCATION", 29),
    ("READ_EXTERNAL_STORAGE", "ACCESS_MEDIA_LOCATION", 29),
    ("BLUETOOTH", "BLUETOOTH_SCAN", 31),
    ("BLUETOOTH", "BLUETOOTH_CONNECT", 31),
    ("BLUETOOTH", "BLUETOOTH_ADVERTISE", 31),
    ("BODY_SENSORS", "BODY_SENSORS_BACKGROUND", 33),
    ("READ_EXTERNAL_STORAGE", "READ_MEDIA_AUDIO", 33),
    ("READ_EXTERNAL_STORAGE", "READ_MEDIA_VIDEO", 33),
    ("READ_EXTERNAL_STORAGE", "READ_MEDIA_IMAGES", 33),
]
# Granted to every app targeting an SDK below this (Android's "new permissions").
NEW_PERMISSIONS = [("WRITE_EXTERNAL_STORAGE", 4), ("READ_PHONE_STATE", 4)]

_A = "android.permission."

# name (without android.permission.) → (protection level, English, French)
_KNOWN = {
    "CAMERA": (DANGEROUS, "Take pictures and record videos", "Prendre des photos et filmer"),
    "RECORD_AUDIO": (DANGEROUS, "Record sound with the microphone", "Enregistrer le son avec le micro"),
    "ACCESS_FINE_LOCATION": (DANGEROUS, "Know the tablet's precise location", "Connaître la position précise"),
    "ACCESS_COARSE_LOCATION": (
        DANGEROUS,
        "Know the tablet's approximate location",
        "Connaître la position approximative",
    ),
    "ACCESS_BACKGROUND_LOCATION": (
        DANGEROUS,
        "Know the location even when the app is closed",
        "Connaître la position même quand l'appli est fermée",
    ),
    "ACCESS_MEDIA_LOCATION": (DANGEROUS, "Read where photos were taken", "Lire le lieu des photos"),
    "READ_CONTACTS": (DANGEROUS, "Read the contacts", "Lire les contacts"),
    "WRITE_CONTACTS": (DANGEROUS, "Change the contacts", "Modifier les contacts"),
    "GET_ACCOUNTS": (DANGEROUS, "See the accounts on the tablet", "Voir les comptes de la tablette"),
    "READ_CALL_LOG": (DANGEROUS, "Read the call history", "Lire l'historique des appels"),
    "WRITE_CALL_LOG": (DANGEROUS, "Change the call history", "Modifier l'historique des appels"),
    "READ_PHONE_STATE": (
        DANGEROUS,
        "Read the device's identity and phone status",
        "Lire l'identité de l'appareil et l'état du téléphone",
    ),
    "READ_PHONE_NUMBERS": (DANGEROUS, "Read the phone number", "Lire le numéro de téléphone"),
    "CALL_PHONE": (DANGEROUS, "Make phone calls", "Passer des appels"),
    "SEND_SMS": (DANGEROUS, "Send text messages (may cost money)", "Envoyer des SMS (peut être payant)"),
    "RECEIVE_SMS": (DANGEROUS, "Receive text messages", "Recevoir des SMS"),
    "READ_SMS": (DANGEROUS, "Read text messages", "Lire les SMS"),
    "READ_CALENDAR": (DANGEROUS, "Read the calendar", "Lire l'agenda"),
    "WRITE_CALENDAR": (DANGEROUS, "Change the calendar", "Modifier l'agenda"),
    "READ_EXTERNAL_STORAGE": (DANGEROUS, "Read all files on the tablet", "Lire tous les fichiers de la tablette"),
    "WRITE_EXTERNAL_STORAGE": (
        DANGEROUS,
        "Change or delete all files on the tablet",
        "Modifier ou supprimer tous les fichiers de la tablette",
    ),
    "READ_MEDIA_IMAGES": (DANGEROUS, "Read the photos", "Lire les photos"),
    "READ_MEDIA_VIDEO": (DANGEROUS, "Read the videos", "Lire les vidéos"),
    "READ_MEDIA_AUDIO": (DANGEROUS, "Read music and sound files", "Lire la musique et les sons"),
    "BODY_SENSORS": (DANGEROUS, "Read body sensors (heart rate)", "Lire les capteurs corporels (pouls)"),
    "BODY_SENSORS_BACKGROUND": (
        DANGEROUS,
        "Read body sensors even when the app is closed",
        "Lire les capteurs corporels même appli fermée",
    ),
    "ACTIVITY_RECOGNITION": (DANGEROUS, "Recognise physical activity", "Reconnaître l'activité physique"),
    "BLUETOOTH_SCAN": (DANGEROUS, "Find nearby Bluetooth devices", "Chercher les appareils Bluetooth proches"),
    "BLUETOOTH_CONNECT": (DANGEROUS, "Connect to paired Bluetooth devices", "Se connecter aux appareils Bluetooth"),
    "BLUETOOTH_ADVERTISE": (
        DANGEROUS,
        "Make the tablet visible to Bluetooth devices",
        "Rendre la tablette visible en Bluetooth",
    ),
    "NEARBY_WIFI_DEVICES": (DANGEROUS, "Find nearby Wi-Fi devices", "Chercher les appareils Wi-Fi proches"),
    "POST_NOTIFICATIONS": (DANGEROUS, "Show notifications", "Afficher des notifications"),
    "REQUEST_INSTALL_PACKAGES": (
        SIGNATURE,
        "Ask to install other apps (outside the school's store)",
        "Demander à installer d'autres applis (hors du catalogue de l'école)",
    ),
    "SYSTEM_ALERT_WINDOW": (SIGNATURE, "Draw over other apps", "S'afficher par-dessus les autres applis"),
    "WRITE_SETTINGS": (SIGNATURE, "Change system settings", "Modifier les réglages du système"),
    "PACKAGE_USAGE_STATS": (SIGNATURE, "See which apps are used", "Voir quelles applis sont utilisées"),
    "MANAGE_EXTERNAL_STORAGE": (SIGNATURE, "Manage all files", "Gérer tous les fichiers"),
    "BIND_ACCESSIBILITY_SERVICE": (
        SIGNATURE,
        "Read the screen and act for the user (accessibility)",
        "Lire l'écran et agir à la place de l'utilisateur (accessibilité)",
    ),
    "BIND_DEVICE_ADMIN": (SIGNATURE, "Administer the device", "Administrer l'appareil"),
    "INTERNET": (NORMAL, "Use the Internet", "Utiliser Internet"),
    "ACCESS_NETWORK_STATE": (NORMAL, "See network connections", "Voir les connexions réseau"),
    "ACCESS_WIFI_STATE": (NORMAL, "See Wi-Fi connections", "Voir les connexions Wi-Fi"),
    "CHANGE_WIFI_STATE": (NORMAL, "Connect to and disconnect from Wi-Fi", "Se connecter au Wi-Fi ou s'en déconnecter"),
    "BLUETOOTH": (NORMAL, "Use Bluetooth", "Utiliser le Bluetooth"),
    "BLUETOOTH_ADMIN": (NORMAL, "Change Bluetooth settings", "Modifier les réglages Bluetooth"),
    "VIBRATE": (NORMAL, "Make the tablet vibrate", "Faire vibrer la tablette"),
    "WAKE_LOCK": (NORMAL, "Keep the tablet awake", "Empêcher la mise en veille"),
    "RECEIVE_BOOT_COMPLETED": (NORMAL, "Start when the tablet starts", "Démarrer avec la tablette"),
    "FOREGROUND_SERVICE": (NORMAL, "Keep running in the foreground", "Continuer à tourner au premier plan"),
    "NFC": (NORMAL, "Use NFC", "Utiliser le NFC"),
    "SET_WALLPAPER": (NORMAL, "Change the wallpaper", "Changer le fond d'écran"),
    "REQUEST_DELETE_PACKAGES": (NORMAL, "Ask to uninstall apps", "Demander la désinstallation d'applis"),
    "USE_BIOMETRIC": (NORMAL, "Use fingerprint or face unlock", "Utiliser l'empreinte ou le visage"),
}


@dataclass(frozen=True)
class Granted:
    """One permission the tablet grants: how it came (declared, sdk23, implied)
    and, with maxSdkVersion, the last Android version that grants it."""

    name: str
    source: str = "declared"
    max_sdk: int | None = None


def _short(name):
    return name[len(_A) :] if name.startswith(_A) else None


def granted_permissions(uses, uses_sdk23, min_sdk: int, target_sdk: int) -> list[Granted]:
    """uses / uses_sdk23: [(name, maxSdkVersion or None)] as read from the manifest;
    min_sdk / target_sdk already defaulted as Android does."""
    granted: dict[str, Granted] = {}
    for source, entries in (("declared", uses), ("sdk23", uses_sdk23)):
        for name, max_sdk in entries:
            if not name:
                continue
            # Never granted: every device the app installs on is newer than that.
            if max_sdk is not None and max_sdk < max(min_sdk, 23 if source == "sdk23" else 1):
                continue
            if name not in granted:
                granted[name] = Granted(name, source, max_sdk)
    for short, below in NEW_PERMISSIONS:
        if target_sdk < below and _A + short not in granted:
            granted[_A + short] = Granted(_A + short, "implied")
    # Splits may chain (WRITE → READ → READ_MEDIA_*): go round until nothing changes.
    changed = True
    while changed:
        changed = False
        for held, added, below in SPLIT_PERMISSIONS:
            have = granted.get(_A + held)
            if have is not None and target_sdk < below and _A + added not in granted:
                granted[_A + added] = Granted(_A + added, "implied", have.max_sdk)
                changed = True
    return sorted(granted.values(), key=lambda g: g.name)


def describe(name: str) -> dict:
    """Plain words and protection level for one permission, in the current language."""
    short = _short(name)
    known = _KNOWN.get(short) if short else None
    french = (get_language() or "fr").startswith("fr")
    if known is None:
        level = NORMAL if short else OTHER
        text = (
            (f"Permission Android « {short} »" if french else f"Android permission “{short}”")
            if short
            else ("Permission propre à une autre appli" if french else "A permission defined by another app")
        )
        return {"name": name, "level": level, "text": text}
    level, english, francais = known
    return {"name": name, "level": level, "text": francais if french else english}


def describe_all(names, new=()) -> list[dict]:
    """Dangerous ones first, each flagged when it is new against the approved version."""
    new = set(new)
    rows = [{**describe(n), "new": n in new} for n in names]
    return sorted(rows, key=lambda r: (LEVEL_ORDER[r["level"]], r["name"]))
