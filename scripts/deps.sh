#!/usr/bin/env bash
# Installs the system packages Matinee needs on Debian/Ubuntu, when missing.
# Usage: scripts/deps.sh [test]   ("test" adds what only the test suite needs)
set -euo pipefail

# Build: Tauri's WebKitGTK stack. Run: mpv. Tests and benchmark: ffmpeg,
# a virtual display, the WebKit WebDriver, a D-Bus session, SVG rendering,
# a Secret Service for the keyring test.
packages=(pkg-config libssl-dev build-essential curl file
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev libdbus-1-dev mpv ffmpeg
  # xdg-mime registers matinee:// links (a minimal Debian lacks it).
  xdg-utils)
# Node.js may come from elsewhere (nodesource, nvm): only add Debian's when absent.
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "${1:-}" = test ]; then
  packages+=(redis-server xvfb xauth webkit2gtk-driver dbus dbus-x11 librsvg2-bin
    gnome-keyring libsecret-tools
    # A home router in network namespaces: NAT and port mapping.
    iproute2 iptables miniupnpd-iptables
    # The lab's iroh relay gets a certificate from an authority of its own.
    openssl
    # The Windows build (mingw linker) and running it under Wine.
    mingw-w64 wine64 python3-pip
    # A friend on Syncplay: the real client joins a Matinee room in the
    # tests; the benchmark also runs the real Syncplay server beside us.
    syncplay syncplay-server
    # The window test answers the real file dialog by typing into it.
    xdotool
    # The .deb is installed on a clean Debian made with debootstrap (and
    # its window's screenshot converted from Xvfb's frame buffer).
    debootstrap netpbm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing system packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
