#!/usr/bin/env sh
# RollbackFunctions from any CI, with curl only.
#
#   ROLLBACK_URL=https://<app>.azurewebsites.net ROLLBACK_KEY=<key with the ci role> \
#     rollback.sh register deploy.json      # register the deploy (before its first step);
#                                           #   exit 4 when its version or an artifact is quarantined
#     rollback.sh gate <deployId>           # before each step: exit 3 when a rollback halted the deploy
#                                           #   or what it carries was quarantined since
#     rollback.sh plan <deployId>           # the rollback plan (needs a key with the reader role;
#                                           #   register and rehearse print it with the ci key)
#     rollback.sh rehearse <deployId>       # dry-run every step's revert now (changes nothing); prints the plan
#     rollback.sh step <deployId> <stepId> applied|failed
#     rollback.sh complete <deployId>       # after the last step: the bake window starts
#
# Every call retries on 429/5xx and network errors (curl --retry, honouring Retry-After); any other
# refusal prints the problem reply and fails the job. A quarantine (exit 4) is not an error to retry:
# what this deploy ships was just rolled back; ship a fix, or have an operator release it.
set -eu

: "${ROLLBACK_URL:?set ROLLBACK_URL to the RollbackFunctions base URL}"
: "${ROLLBACK_KEY:=}"

call() { # METHOD PATH [BODY-FILE]
  method=$1 path=$2 body=${3:-}
  out=$(mktemp)
  set -- --silent --show-error --output "$out" --write-out '%{http_code}' \
    --retry 5 --retry-connrefused --retry-max-time 120 -X "$method" "${ROLLBACK_URL%/}$path"
  [ -n "$ROLLBACK_KEY" ] && set -- "$@" -H "Authorization: Bearer $ROLLBACK_KEY"
  [ -n "$body" ] && set -- "$@" -H "Content-Type: application/json" --data-binary "@$body"
  status=$(curl "$@") || { cat "$out" >&2; rm -f "$out"; exit 1; }
  cat "$out"; echo
  rm -f "$out"
  echo "$status"
}

status_of() { tail -n 1; }

case "${1:-}" in
  register)
    reply=$(call POST /api/deploys "${2:?usage: rollback.sh register deploy.json}")
    case $(echo "$reply" | status_of) in
      200|201) echo "$reply" | sed '$d' ;;
      409) echo "$reply" >&2
           if echo "$reply" | grep -q '"type" *: *"quarantined"'; then echo "quarantined: a version or artifact this deploy ships was rolled back; see the detail above" >&2; exit 4; fi
           exit 1 ;;
      *) echo "$reply" >&2; exit 1 ;;
    esac ;;
  gate)
    reply=$(call GET "/api/deploys/${2:?usage: rollback.sh gate <deployId>}/gate")
    case $(echo "$reply" | status_of) in
      200) echo "gate open" ;;
      409) echo "$reply" | sed '$d' >&2; echo "gate closed (a rollback halted the deploy, a quarantine, or readiness not met: see above); stop here" >&2; exit 3 ;;
      *) echo "$reply" >&2; exit 1 ;;
    esac ;;
  plan)
    reply=$(call GET "/api/deploys/${2:?usage: rollback.sh plan <deployId>}/plan")
    case $(echo "$reply" | status_of) in 200) echo "$reply" | sed '$d' ;; *) echo "$reply" >&2; exit 1 ;; esac ;;
  rehearse)
    reply=$(call POST "/api/deploys/${2:?usage: rollback.sh rehearse <deployId>}/rehearse")
    case $(echo "$reply" | status_of) in 200) echo "$reply" | sed '$d' ;; *) echo "$reply" >&2; exit 1 ;; esac ;;
  step)
    file=$(mktemp)
    printf '{"status": "%s"}' "${4:?usage: rollback.sh step <deployId> <stepId> applied|failed}" > "$file"
    reply=$(call POST "/api/deploys/$2/steps/$3" "$file")
    rm -f "$file"
    case $(echo "$reply" | status_of) in 200) echo "step $3 $4" ;; *) echo "$reply" >&2; exit 1 ;; esac ;;
  complete)
    reply=$(call POST "/api/deploys/${2:?usage: rollback.sh complete <deployId>}/complete")
    case $(echo "$reply" | status_of) in 200) echo "deploy $2 complete: baking" ;; *) echo "$reply" >&2; exit 1 ;; esac ;;
  *)
    sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
