# Shared set-up steps for scripts/test.sh and .ci/run (sourced, not run).

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages the test suite uses: Chromium renders the API docs page headless.
ensure_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # cmake builds the bundled libopus (browser WebM/Opus uploads); ffmpeg, sox and espeak-ng make
  # the audio test fixtures.
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v sox >/dev/null 2>&1 || missing+=(sox)
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  # Chinese text in the browser screenshots (and reports); DejaVu labels the training curves.
  [ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  # pdftotext / pdftoppm read the printed reports back in the tests.
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The storage tests need PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres.
ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return 0
    sleep 1
  done
  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
  return 1
}

# The two-node test needs NATS on 127.0.0.1:4222 (the service machines run it with JetStream);
# elsewhere it is installed from Debian and started in the background.
ensure_nats() {
  if (echo > /dev/tcp/127.0.0.1/4222) 2>/dev/null; then return 0; fi
  if ! command -v nats-server >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >/dev/null
  fi
  echo "starting nats-server on 127.0.0.1:4222"
  nohup nats-server -a 127.0.0.1 -p 4222 -js -sd "${TMPDIR:-/tmp}/mianshi-nats" >/dev/null 2>&1 &
  for _ in $(seq 1 30); do
    (echo > /dev/tcp/127.0.0.1/4222) 2>/dev/null && return 0
    sleep 1
  done
  echo "NATS did not come up on 127.0.0.1:4222" >&2
  return 1
}

# The browser tests drive Chromium with playwright-core (no browser download).
ensure_web_deps() {
  if [ ! -d web/node_modules/playwright-core ]; then
    (cd web && npm ci --no-audit --no-fund --silent)
  fi
}
