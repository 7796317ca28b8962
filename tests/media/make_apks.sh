#!/usr/bin/env bash
# Builds the small test APKs in tests/media/apks/ (committed; rerun only to change them).
# Needs Debian's aapt, zipalign, apksigner, android-framework-res and the JDK's keytool.
#   app-v1.apk       org.ent.demo 1.0 (code 1), INTERNET
#   app-v2.apk       same package, 1.1 (code 2), INTERNET + CAMERA, same key
#   app-v2-same.apk  1.1 (code 2) with INTERNET only, same key
#   app-otherkey.apk 1.1 (code 2), INTERNET only, signed by another key
#   unsigned.apk     a well-formed but unsigned package
set -euo pipefail
cd "$(dirname "$0")/apks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
FW=/usr/share/android-framework-res/framework-res.apk

key() {  # name
  keytool -genkeypair -keystore "$work/$1.p12" -storetype PKCS12 -storepass testpass -keypass testpass \
    -alias "$1" -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=$1, O=ENT tests" >/dev/null 2>&1
}

build() {  # out versionCode versionName key perms...
  local out=$1 code=$2 name=$3 k=$4; shift 4
  local d="$work/$out"; mkdir -p "$d/res/values"
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo "<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\" package=\"org.ent.demo\" android:versionCode=\"$code\" android:versionName=\"$name\">"
    echo '  <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="33"/>'
    for p in "$@"; do echo "  <uses-permission android:name=\"android.permission.$p\"/>"; done
    echo '  <application android:label="@string/app_name" android:hasCode="false"/>'
    echo '</manifest>'
  } >"$d/AndroidManifest.xml"
  echo '<resources><string name="app_name">Appli ENT</string></resources>' >"$d/res/values/strings.xml"
  aapt package -f -M "$d/AndroidManifest.xml" -S "$d/res" -I "$FW" -F "$d/u.apk" >/dev/null
  zipalign -f -p 4 "$d/u.apk" "$d/a.apk"
  if [ "$k" = none ]; then cp "$d/a.apk" "$out"; return; fi
  apksigner sign --ks "$work/$k.p12" --ks-pass pass:testpass --key-pass pass:testpass --out "$out" "$d/a.apk"
  rm -f "$out.idsig"
}

key main
key other
build app-v1.apk 1 1.0 main INTERNET
build app-v2.apk 2 1.1 main INTERNET CAMERA
build app-v2-same.apk 2 1.1 main INTERNET
build app-otherkey.apk 2 1.1 other INTERNET
build unsigned.apk 1 1.0 none INTERNET
ls -l
