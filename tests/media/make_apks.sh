#!/usr/bin/env bash
# Builds the small test APKs in tests/media/apks/ (committed; rerun only to change them).
# Needs Debian's aapt, zipalign, apksigner, android-framework-res and the JDK's keytool/jarsigner.
#   app-v1.apk        org.ent.demo 1.0 (code 1), INTERNET
#   app-v2.apk        same package, 1.1 (code 2), INTERNET + CAMERA, same key
#   app-v2-same.apk   1.1 (code 2) with INTERNET only, same key
#   app-v2-sdk23.apk  1.1 (code 2), INTERNET + CAMERA and REQUEST_INSTALL_PACKAGES through
#                     <uses-permission-sdk-23>, same key (what Android grants on 6.0+)
#   app-otherkey.apk  1.1 (code 2), INTERNET only, signed by another key
#   unsigned.apk      a well-formed but unsigned package
#   old-target3.apk   org.ent.old, minSdk 3 / targetSdk 3, INTERNET: Android implies
#                     WRITE_EXTERNAL_STORAGE, READ_PHONE_STATE (target < 4), READ_EXTERNAL_STORAGE
#   contacts-target15.apk org.ent.contacts, targetSdk 15, READ_CONTACTS + WRITE_CONTACTS:
#                     implies READ_CALL_LOG and WRITE_CALL_LOG (target < 16)
#   maxsdk.apk        org.ent.maxsdk, minSdk 21, WRITE_EXTERNAL_STORAGE maxSdkVersion 18 (never
#                     granted: no device it installs on is that old), ACCESS_FINE_LOCATION
#                     maxSdkVersion 28 (granted on 21-28)
#   resname.apk       org.ent.resname, versionName is a resource reference (@string/version_name)
#   nosdk.apk         org.ent.nosdk, no <uses-sdk> at all (Android: minSdk 1, targetSdk = minSdk)
#   chain.apk         org.ent.chain, v1 (JAR) signature whose block holds the chain
#                     leaf → intermediate → CA (apksigner, v1 only: no signed attributes)
#   chain-jarsigner.apk org.ent.chainjar, the same chain signed by jarsigner (which adds
#                     signed attributes: valid for Android, but fdroidserver 2.4.5 cannot
#                     verify such a chained block and leaves the APK out of the index)
set -euo pipefail
cd "$(dirname "$0")/apks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
FW=/usr/share/android-framework-res/framework-res.apk
KT="keytool -storetype PKCS12 -storepass testpass -keypass testpass"

key() {  # name
  $KT -genkeypair -keystore "$work/$1.p12" -alias "$1" -keyalg RSA -keysize 2048 -validity 10000 \
    -dname "CN=$1, O=ENT tests" >/dev/null 2>&1
}

# build out package versionCode versionName key sdk perms...
#   sdk: "min:target" or "none"; a perm "sdk23:NAME" goes in <uses-permission-sdk-23>,
#   "NAME@N" gets android:maxSdkVersion="N"; versionName "@res:VALUE" becomes a string resource.
build() {
  local out=$1 pkg=$2 code=$3 name=$4 k=$5 sdk=$6; shift 6
  local d="$work/$out"; mkdir -p "$d/res/values"
  local vname=$name extra=""
  if [[ $name == @res:* ]]; then vname="@string/version_name"; extra="<string name=\"version_name\">${name#@res:}</string>"; fi
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo "<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\" package=\"$pkg\" android:versionCode=\"$code\" android:versionName=\"$vname\">"
    if [ "$sdk" != none ]; then
      echo "  <uses-sdk android:minSdkVersion=\"${sdk%%:*}\" android:targetSdkVersion=\"${sdk##*:}\"/>"
    fi
    for p in "$@"; do
      local tag=uses-permission max=""
      if [[ $p == sdk23:* ]]; then tag=uses-permission-sdk-23; p=${p#sdk23:}; fi
      if [[ $p == *@* ]]; then max=" android:maxSdkVersion=\"${p##*@}\""; p=${p%@*}; fi
      echo "  <$tag android:name=\"android.permission.$p\"$max/>"
    done
    echo '  <application android:label="@string/app_name" android:hasCode="false"/>'
    echo '</manifest>'
  } >"$d/AndroidManifest.xml"
  echo "<resources><string name=\"app_name\">Appli ENT</string>$extra</resources>" >"$d/res/values/strings.xml"
  aapt package -f -M "$d/AndroidManifest.xml" -S "$d/res" -I "$FW" -F "$d/u.apk" >/dev/null
  if [ "$k" = chain-apksigner ]; then
    # apksigner's JAR signer also puts the key entry's whole chain in the block
    # (no signed attributes); v1 only, as an app for old devices ships it.
    zipalign -f -p 4 "$d/u.apk" "$d/a.apk"
    apksigner sign --ks "$work/leaf.p12" --ks-pass pass:testpass --key-pass pass:testpass --ks-key-alias leaf \
      --v1-signing-enabled true --v2-signing-enabled false --v3-signing-enabled false --out "$out" "$d/a.apk"
    return
  fi
  if [ "$k" = chain ]; then
    # jarsigner puts the whole chain of the key entry in the signature block.
    cp "$d/u.apk" "$d/s.apk"
    jarsigner -keystore "$work/leaf.p12" -storepass testpass -sigalg SHA256withRSA -digestalg SHA-256 \
      "$d/s.apk" leaf >/dev/null
    zipalign -f -p 4 "$d/s.apk" "$out"
    return
  fi
  zipalign -f -p 4 "$d/u.apk" "$d/a.apk"
  if [ "$k" = none ]; then cp "$d/a.apk" "$out"; return; fi
  apksigner sign --ks "$work/$k.p12" --ks-pass pass:testpass --key-pass pass:testpass --out "$out" "$d/a.apk"
  rm -f "$out.idsig"
}

chain_key() {  # a CA, an intermediate signed by it, a leaf signed by the intermediate
  $KT -genkeypair -keystore "$work/ca.p12" -alias ca -keyalg RSA -keysize 2048 -validity 10000 \
    -dname "CN=ENT test CA" -ext bc:c >/dev/null 2>&1
  $KT -genkeypair -keystore "$work/int.p12" -alias int -keyalg RSA -keysize 2048 -validity 10000 \
    -dname "CN=ENT test intermediate" >/dev/null 2>&1
  $KT -genkeypair -keystore "$work/leaf.p12" -alias leaf -keyalg RSA -keysize 2048 -validity 10000 \
    -dname "CN=ENT test publisher" >/dev/null 2>&1
  $KT -exportcert -keystore "$work/ca.p12" -alias ca -rfc -file "$work/ca.pem" >/dev/null 2>&1
  $KT -certreq -keystore "$work/int.p12" -alias int -file "$work/int.csr" >/dev/null 2>&1
  $KT -gencert -keystore "$work/ca.p12" -alias ca -infile "$work/int.csr" -ext bc:c -rfc \
    -outfile "$work/int.pem" >/dev/null 2>&1
  $KT -importcert -keystore "$work/int.p12" -alias ca -file "$work/ca.pem" -noprompt >/dev/null 2>&1
  $KT -importcert -keystore "$work/int.p12" -alias int -file "$work/int.pem" >/dev/null 2>&1
  $KT -certreq -keystore "$work/leaf.p12" -alias leaf -file "$work/leaf.csr" >/dev/null 2>&1
  $KT -gencert -keystore "$work/int.p12" -alias int -infile "$work/leaf.csr" -rfc \
    -outfile "$work/leaf.pem" >/dev/null 2>&1
  cat "$work/leaf.pem" "$work/int.pem" "$work/ca.pem" >"$work/chain.pem"
  $KT -importcert -keystore "$work/leaf.p12" -alias ca -file "$work/ca.pem" -noprompt >/dev/null 2>&1
  $KT -importcert -keystore "$work/leaf.p12" -alias int -file "$work/int.pem" -noprompt >/dev/null 2>&1
  $KT -importcert -keystore "$work/leaf.p12" -alias leaf -file "$work/chain.pem" -noprompt >/dev/null 2>&1
}

key main
key other
chain_key
build app-v1.apk org.ent.demo 1 1.0 main 24:33 INTERNET
build app-v2.apk org.ent.demo 2 1.1 main 24:33 INTERNET CAMERA
build app-v2-same.apk org.ent.demo 2 1.1 main 24:33 INTERNET
build app-v2-sdk23.apk org.ent.demo 2 1.1 main 24:33 INTERNET sdk23:CAMERA sdk23:REQUEST_INSTALL_PACKAGES
build app-otherkey.apk org.ent.demo 2 1.1 other 24:33 INTERNET
build unsigned.apk org.ent.demo 1 1.0 none 24:33 INTERNET
build old-target3.apk org.ent.old 3 0.3 main 3:3 INTERNET
build contacts-target15.apk org.ent.contacts 15 1.5 main 14:15 READ_CONTACTS WRITE_CONTACTS
build maxsdk.apk org.ent.maxsdk 7 0.7 main 21:33 INTERNET WRITE_EXTERNAL_STORAGE@18 ACCESS_FINE_LOCATION@28
build resname.apk org.ent.resname 25 @res:2.5-res main 24:33 INTERNET
build nosdk.apk org.ent.nosdk 1 0.1 main none INTERNET
build chain.apk org.ent.chain 4 4.0 chain-apksigner 24:29 INTERNET
build chain-jarsigner.apk org.ent.chainjar 4 4.0 chain 24:29 INTERNET
ls -l
