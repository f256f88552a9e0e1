#!/usr/bin/env bash
# Card payments for `make run`. With Stripe keys (STRIPE_SECRET_KEY in the environment or .env) it prints nothing:
# the API talks to Stripe. Without keys it starts localstripe (a local Stripe double, PyPI) when nothing answers on
# the port, registers the API's webhook with it, and prints the exports that point the API and the console at it:
#   eval "$(tools/dev/stripe_demo_env.sh 8420 http://localhost:5000)"
# LOCALSTRIPE_PUBLIC_URL is the address the browser loads localstripe's Stripe.js from (default http://localhost:PORT).
set -euo pipefail
port="${1:-8420}"
api_url="${2:-http://localhost:5000}"  # where localstripe posts its webhooks (the API being started)
cd "$(dirname "$0")/../.."
key="${STRIPE_SECRET_KEY:-}"
if [ -z "$key" ] && [ -f .env ]; then
  key="$(sed -n 's/^STRIPE_SECRET_KEY=//p' .env | tail -n 1 | tr -d "\"' ")"
fi
if [ -n "$key" ]; then
  echo "Card payments: Stripe (keys from the environment/.env)" >&2
  exit 0
fi
mkdir -p var
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  LOCALSTRIPE_STORE=var/localstripe.pickle nohup .venv/bin/python -m tools.dev.localstripe_private --port "$port" \
    > var/localstripe.log 2>&1 &
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
  echo "localstripe started on 127.0.0.1:$port (log: var/localstripe.log)" >&2
fi
public="${LOCALSTRIPE_PUBLIC_URL:-http://localhost:$port}"
secret="whsec_localstripe_demo"
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/_config/webhooks/omnicrm" \
  --data-urlencode "url=$api_url/crm/stripe/webhook" --data-urlencode "secret=$secret" \
  || echo "localstripe: could not register the webhook (payments still complete through the console)" >&2
echo "Card payments: localstripe demo (no STRIPE_SECRET_KEY); test card 4242 4242 4242 4242, any future expiry/CVC" >&2
echo "export STRIPE_SECRET_KEY=sk_test_localstripe_demo STRIPE_PUBLISHABLE_KEY=pk_test_localstripe_demo" \
  "STRIPE_API_BASE=http://127.0.0.1:$port STRIPE_JS_URL=$public/js.stripe.com/v3/ STRIPE_WEBHOOK_SECRET=$secret"
