#!/usr/bin/env bash
# test-web-security.sh — weldreg-web under attack, over real HTTPS and PostgreSQL, for every
# route the code has: the route table is read from `weldreg-web routes` (method, path, gate,
# need), so that routes added later are covered without editing this file.
#   1. route x role: every route for anonymous, admin, inspector, officer, office and approver,
#      allowed or refused as core/access.c decides (its table of role -> need is written below
#      once);
#      a prefix route (/w/, /photos/, /m/ ...) is called with an id that does not exist
#   2. CSRF: every POST without the token, with a wrong one, with another session's, cross-site
#   3. session fixation: an id planted before login, another person's live id at login
#   4. XSS, SQL and bytes that are not UTF-8 through every field of every form any role can
#      open, one field at a time, through every prefix route's id, the query string and the
#      cookie: never a 5xx, never an unescaped payload in any page of any role afterwards,
#      every table still there
#   5. oversized bodies, headers and field counts (one over web/http.h's HTTP_FORM_FIELDS) on
#      every POST: 413/431/400, never a 5xx
#   6. slowloris: 50 connections trickling headers, more slowly than web_timeout_s and faster;
#      a normal request still answers within 2 s and the slow ones are cut at web_timeout_s; a
#      body trickled after its headers is not
# The lock-out and the welder page's own attacks are in test-web.sh.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_db_create web_security
printf 'web_timeout_s = 3\nweb_max_body = 65536\nweb_report_per_hour = 10000\nweb_report_global_per_hour = 100000\n' \
    >"$WR_TMP/web.extra"
wr_psql "INSERT INTO communities (id, code, name, district) VALUES (1, 'c1', '东街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1);
         INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
             VALUES ('M-1', 'fusion', 1, '王五')"
# the roles a person may have (core/access.c) and a login for each
roles=(anonymous admin inspector officer office approver)
declare -A login_of=([admin]=ada [inspector]=ian [officer]=eve [office]=oli [approver]=amy)
wr_web_account ada admin
wr_web_account ian inspector --community 1
wr_web_account eve officer --enterprise 1
wr_web_account oli office
wr_web_account amy approver --enterprise 1 --signing-level special
# what each role may do where a route needs it: core/access.c's table (access_decide), once
declare -A may=([admin:read]=1 [admin:enforce]=1 [admin:write]=1 [admin:admin_only]=1
    [admin:district]=1 [inspector:read]=1 [inspector:enforce]=1 [inspector:district]=1
    [officer:read]=1 [officer:apply]=1 [office:read]=1 [office:district]=1 [approver:read]=1
    [approver:approve]=1)
wr_web_start
CA=(--cacert "$WR_CERTS_DIR/ca.crt")
H="$WR_TMP/headers"
B="$WR_TMP/body"
# req CURL-ARGS...: prints the status; a stream (the live alerts' GET /events) is cut after 3 s
req() {
    local rc=0
    curl -sS --max-time 3 "${CA[@]}" -D "$H" -o "$B" -w '%{http_code}' "$@" 2>/dev/null || rc=$?
    ((rc == 0 || rc == 28)) || return "$rc"
}
location() { sed -nE 's/^[Ll]ocation: ([^\r]*).*/\1/p' "$H"; }
says() { grep -q "$1" "$B"; }
ROLE_REFUSED='您的角色无权访问此页面'
FORM_REFUSED='表单已失效'
CROSS_REFUSED='请求来源不被接受'

declare -A sess
login() { # ROLE: logs its person in, the session id in sess[ROLE]
    local who=${login_of[$1]}
    req -X POST --data-urlencode "login=$who" --data-urlencode "password=$(cat "$WR_TMP/pw-$who")" \
        "$WR_WEB_URL/login" >/dev/null
    sess[$1]=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]{64});.*/\1/p' "$H" | tr -d '\r')
    [[ -n ${sess[$1]} ]] || wr_fail "login as $1"
}
for role in "${roles[@]:1}"; do login "$role"; done
as() { # ROLE CURL-ARGS...: a request with ROLE's session (none for anonymous)
    local role=$1
    shift
    if [[ $role == anonymous ]]; then req "$@"; else req -b "__Host-weldreg=${sess[$role]}" "$@"; fi
}
csrf_of() { # ROLE: the CSRF token of ROLE's session (from the home page's logout form)
    as "$1" "$WR_WEB_URL/" >/dev/null
    sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B" | head -1
}

# ---- 1. route x role ----
mapfile -t routes < <("$WR_WEB_BIN" routes)
((${#routes[@]} >= 10)) || wr_fail "weldreg-web routes printed ${#routes[@]} routes"
# a method and path twice: the later route is never reached (the tables are searched in order)
twice=$(printf '%s\n' "${routes[@]}" | awk '{print $1, $2}' | sort | uniq -d | paste -sd, -)
[[ -z $twice ]] || wr_fail "routes listed twice, the later never reached: $twice"
NOID=999999999
# url_of PATH: the path to call (a prefix gets an id that does not exist)
url_of() { if [[ $1 == */ && $1 != / ]]; then printf '%s%s' "$1" "$NOID"; else printf '%s' "$1"; fi; }
# allowed GATE NEED ROLE: whether core/access.c lets ROLE through
allowed() {
    case $1 in
    public) return 0 ;;
    session) [[ $3 != anonymous ]] ;;
    role) [[ $3 != anonymous && -n ${may[$3:$2]:-} ]] ;;
    *) wr_fail "unknown gate $1" ;;
    esac
}
checks=0
narrower=()
for line in "${routes[@]}"; do
    read -r method path gate need <<<"$line"
    [[ -n $need ]] || wr_fail "a route line without a need: $line"
    url=$(url_of "$path")
    for role in "${roles[@]}"; do
        what="$method $url as $role ($gate $need)"
        if [[ $method == GET ]]; then
            st=$(as "$role" "$WR_WEB_URL$url")
        else # no token: a gate passed shows as the CSRF refusal
            st=$(as "$role" -X "$method" -d x=1 "$WR_WEB_URL$url")
        fi
        [[ $st != 5* && $st != 000 ]] || wr_fail "$what: $st"
        if ! allowed "$gate" "$need" "$role"; then
            if [[ $role == anonymous ]]; then
                [[ $st == 303 && $(location) == /login ]] || wr_fail "$what: $st, not 303 to /login"
            else
                [[ $st == 403 ]] && says "$ROLE_REFUSED" || wr_fail "$what: $st, not refused for the role"
            fi
        elif [[ $method == GET ]]; then
            ! { [[ $st == 303 && $(location) == /login ]] || says "$ROLE_REFUSED"; } ||
                wr_fail "$what: refused ($st)"
            if [[ $st == 403 ]]; then # the page's own, narrower refusal (never a wider one)
                narrower+=("$method $path as $role")
            elif [[ $url == "$path" ]]; then
                [[ $st == 2* || ($st == 303 && $(location) != /login) ]] || wr_fail "$what: $st"
            else
                [[ $st =~ ^(200|303|400|403|404)$ ]] || wr_fail "$what (an id that does not exist): $st"
            fi
        elif [[ $gate == public ]]; then
            [[ $st == 4* ]] && ! says "$ROLE_REFUSED" || wr_fail "$what (an empty form): $st"
        else
            [[ $st == 403 ]] && says "$FORM_REFUSED" || wr_fail "$what: $st, not the CSRF refusal"
        fi
        checks=$((checks + 1))
    done
    st=$(req -X DELETE "$WR_WEB_URL$url")
    [[ $st == 405 ]] || wr_fail "DELETE $url: $st"
done
# the pages' own refusals, exactly: an enterprise's pages (their gate lets every reader in) for
# the roles without an enterprise; any other, or one of these missing, is a change to look at
want_narrower=()
for path in /ent/welders /ent/codes /permits /ent/violations; do
    for role in admin inspector office; do want_narrower+=("GET $path as $role"); done
done
[[ $(printf '%s\n' "${narrower[@]}" | sort) == "$(printf '%s\n' "${want_narrower[@]}" | sort)" ]] ||
    wr_fail "refused by the page itself: $(printf '%s, ' "${narrower[@]}"); expected: $(printf '%s, ' "${want_narrower[@]}")"
wr_ok "route x role: ${#routes[@]} routes (none twice) from weldreg-web routes x ${#roles[@]} roles = $checks checks as core/access.c decides (anonymous 303 /login, wrong role 403; ${#narrower[@]} allowed by the table and refused by the page itself, exactly the enterprise pages for the roles without an enterprise); DELETE 405 on each"

# ---- 2. CSRF on every POST ----
declare -A token
for role in "${roles[@]:1}"; do token[$role]=$(csrf_of "$role"); done
posts=0
for line in "${routes[@]}"; do
    read -r method path gate need <<<"$line"
    [[ $method == POST ]] || continue
    url=$(url_of "$path")
    actor=""
    for role in "${roles[@]}"; do allowed "$gate" "$need" "$role" && { actor=$role; break; }; done
    if [[ $gate != public ]]; then
        other="admin"
        [[ $actor != admin ]] || other=office
        st=$(as "$actor" -X POST -d "csrf=$(printf '%064d' 5)" "$WR_WEB_URL$url")
        [[ $st == 403 ]] && says "$FORM_REFUSED" || wr_fail "POST $url with a wrong token: $st"
        st=$(as "$actor" -X POST -d "csrf=${token[$other]}" "$WR_WEB_URL$url")
        [[ $st == 403 ]] && says "$FORM_REFUSED" || wr_fail "POST $url with another session's token: $st"
        st=$(as "$actor" -X POST -H "X-CSRF-Token: ${token[$other]}" -H 'Content-Type: application/json' \
            -d '{}' "$WR_WEB_URL$url")
        [[ $st == 403 ]] || wr_fail "POST $url with another session's token in the header: $st"
    fi
    for cross in 'Origin: https://evil.example' 'Sec-Fetch-Site: cross-site' 'Origin: null'; do
        st=$(as "$actor" -X POST -H "$cross" -d "csrf=${token[$actor]:-}" "$WR_WEB_URL$url")
        [[ $st == 403 ]] && says "$CROSS_REFUSED" || wr_fail "POST $url as $actor with $cross: $st"
    done
    posts=$((posts + 1))
done
for role in "${roles[@]:1}"; do
    [[ $(as "$role" "$WR_WEB_URL/") == 200 ]] || wr_fail "the session of $role after the refused POSTs"
done
wr_ok "CSRF: $posts POST routes refuse a wrong token, another session's (form or X-CSRF-Token), and Origin evil / null or Sec-Fetch-Site cross-site (403)"

# ---- 3. session fixation ----
planted=$(printf '%064d' 42)
req -b "__Host-weldreg=$planted" -X POST --data-urlencode "login=ada" \
    --data-urlencode "password=$(cat "$WR_TMP/pw-ada")" "$WR_WEB_URL/login" >/dev/null
fresh=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]{64});.*/\1/p' "$H" | tr -d '\r')
[[ -n $fresh && $fresh != "$planted" ]] || wr_fail "the planted id was kept"
[[ $(req -b "__Host-weldreg=$planted" "$WR_WEB_URL/") == 303 ]] || wr_fail "the planted id is a session"
# another person's live id presented at a login: that session ends, the new one is the new person's
theirs=${sess[office]}
req -b "__Host-weldreg=$theirs" -X POST --data-urlencode "login=ian" \
    --data-urlencode "password=$(cat "$WR_TMP/pw-ian")" "$WR_WEB_URL/login" >/dev/null
mine=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]{64});.*/\1/p' "$H" | tr -d '\r')
[[ -n $mine && $mine != "$theirs" ]] || wr_fail "a login kept the id it came with"
[[ $(req -b "__Host-weldreg=$theirs" "$WR_WEB_URL/") == 303 ]] || wr_fail "the id presented at login still lives"
req -b "__Host-weldreg=$mine" "$WR_WEB_URL/" >/dev/null
grep -q '<b id="who">ian</b>' "$B" || wr_fail "the new session is not ian's"
login office
wr_ok "session fixation: a planted id and another person's live id are replaced at login and dead after it"

# ---- 4. XSS and SQL through every field of every form, every id, query and cookie ----
cat >"$WR_TMP/fuzz.py" <<'EOF'
# fuzz.py URL CA ROLE=COOKIE... -- PATH...: GETs every PATH as every role, and for every form
# found POSTs it once per (field, payload) with that field set and the others at valid defaults;
# prints "STATUS METHOD ACTION FIELD ROLE" lines, then "PAGE ROLE PATH" for each page that shows
# a payload unescaped (none may).
import html.parser, http.client, ssl, sys, urllib.parse

url, ca = sys.argv[1], sys.argv[2]
sep = sys.argv.index('--')
cookies = dict(a.split('=', 1) for a in sys.argv[3:sep])
paths = sys.argv[sep + 1:]
host = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR 1=1 --",
            '1;DROP TABLE x', b'\xff\xfe not UTF-8']
RAW = ['<script>alert(1)', '<img src=x onerror']

def fetch(method, path, role, body=None, extra_cookie=''):
    c = http.client.HTTPSConnection(host.hostname, host.port, context=ctx, timeout=10)
    h = {}
    ck = '; '.join(x for x in [cookies.get(role, ''), extra_cookie] if x)
    if ck:
        h['Cookie'] = ck
    if body is not None:
        h['Content-Type'] = 'application/x-www-form-urlencoded'
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    if (r.getheader('Content-Type') or '').startswith('text/event-stream'):
        c.close()  # a stream of live alerts: never ends, holds no form
        return r.status, '', ''
    data = r.read().decode('utf-8', 'replace')
    set_cookie = [v.split(';', 1)[0] for k, v in r.getheaders() if k.lower() == 'set-cookie']
    c.close()
    return r.status, data, '; '.join(set_cookie)

class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.select, self.open = [], None, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'form' and a.get('method', 'get').lower() == 'post':
            self.forms.append({'action': a.get('action', ''), 'fields': []})
            self.open = True
        elif not self.open or ('name' not in a and tag != 'option'):
            return
        elif tag in ('input', 'textarea'):
            self.forms[-1]['fields'].append([a['name'], a.get('type', 'text'), a.get('value', '')])
        elif tag == 'select':
            self.select = [a['name'], 'select', '']
            self.forms[-1]['fields'].append(self.select)
        elif tag == 'option' and self.select is not None and not self.select[2]:
            self.select[2] = a.get('value', '')
    def handle_endtag(self, tag):
        if tag == 'select':
            self.select = None
        elif tag == 'form':
            self.open = False

def default(kind, value):
    if kind in ('hidden', 'select'):
        return value
    return {'tel': '13800138000', 'number': '1', 'date': '2026-01-01', 'password': 'x' * 12}.get(
        kind, '测试文本')

seen = set()
for role in ['anonymous'] + [r for r in cookies]:
    for path in paths:
        st, page, form_cookie = fetch('GET', path, role)
        if st != 200:
            continue
        p = Forms()
        p.feed(page)
        for f in p.forms:
            key = (role, f['action'], tuple(x[0] for x in f['fields']))
            if key in seen:
                continue
            seen.add(key)
            for i, (name, kind, _) in enumerate(f['fields']):
                if name == 'csrf':
                    continue
                for payload in PAYLOADS:
                    body = urllib.parse.urlencode(
                        [(n, payload if j == i else default(k, v))
                         for j, (n, k, v) in enumerate(f['fields'])])
                    st2, answer, _ = fetch('POST', f['action'], role, body, form_cookie)
                    print(st2, 'POST', f['action'], name, role, flush=True)
                    if any(r in answer for r in RAW):
                        print('PAGE', role, f['action'], flush=True)
for role in ['anonymous'] + [r for r in cookies]:
    for path in paths:
        st, page, _ = fetch('GET', path, role)
        if any(r in page for r in RAW):
            print('PAGE', role, path, flush=True)
EOF
tables_before=$(wr_psql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
gets=()
for line in "${routes[@]}"; do
    read -r method path gate need <<<"$line"
    # the pages (exact paths, not the static assets) whose forms are fuzzed and then re-read
    [[ $method == GET && ($path != */ || $path == /) && $path != /static/* ]] && gets+=("$path")
done
cookie_args=()
for role in "${roles[@]:1}"; do cookie_args+=("$role=__Host-weldreg=${sess[$role]}"); done
python3 "$WR_TMP/fuzz.py" "$WR_WEB_URL" "$WR_CERTS_DIR/ca.crt" "${cookie_args[@]}" -- "${gets[@]}" \
    >"$WR_TMP/fuzz.out" || wr_fail "fuzz.py failed"
n_posts=$(grep -c ' POST ' "$WR_TMP/fuzz.out" || true)
n_fields=$(awk '/ POST / {print $3, $4}' "$WR_TMP/fuzz.out" | sort -u | wc -l)
((n_posts >= 30)) || wr_fail "only $n_posts fuzzed POSTs: the forms were not found ($(head -3 "$WR_TMP/fuzz.out"))"
! grep -E '^(5[0-9][0-9]|000) ' "$WR_TMP/fuzz.out" || wr_fail "a fuzzed field brought a 5xx"
! grep '^PAGE ' "$WR_TMP/fuzz.out" || wr_fail "a payload reached a page unescaped"
# the payloads that were stored are shown escaped (a public report's description, to inspectors)
stored=$(wr_psql "SELECT count(*) FROM public_reports WHERE description LIKE '%<script>alert(1)</script>%'")
((stored >= 1)) || wr_fail "no <script> description was stored: the XSS check saw nothing to escape"
as inspector "$WR_WEB_URL/public-reports" >/dev/null
says '&lt;script&gt;alert(1)&lt;/script&gt;' || wr_fail "the stored <script> is not shown escaped"
# ids, query strings, cookies
for payload in "' OR 1=1 --" '1;DROP TABLE x' '<script>alert(1)</script>' $'\xff\xfe'; do
    enc=$(python3 -c 'import os, sys, urllib.parse; print(urllib.parse.quote(os.fsencode(sys.argv[1]), safe=""))' "$payload")
    for line in "${routes[@]}"; do
        read -r method path gate need <<<"$line"
        [[ $method == GET ]] || continue
        for role in anonymous admin; do
            [[ $path == */ && $path != / ]] && target="$path$enc" || target="$path?id=$enc&q=$enc"
            st=$(as "$role" "$WR_WEB_URL$target")
            [[ $st != 5* && $st != 000 ]] || wr_fail "GET $target as $role: $st"
            ! grep -q '<script>alert' "$B" || wr_fail "GET $target as $role echoed the payload raw"
        done
    done
    st=$(req -b "__Host-weldreg=$enc" "$WR_WEB_URL/")
    [[ $st == 303 ]] || wr_fail "a session cookie of $payload: $st"
done
[[ $(wr_psql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "$tables_before" ]] ||
    wr_fail "the tables changed"
[[ $(wr_psql "SELECT count(*) FROM accounts") == 5 ]] || wr_fail "the accounts changed"
wr_ok "XSS/SQL/not UTF-8: $n_posts POSTs over $n_fields form fields, every id, query string and cookie: no 5xx, no payload unescaped in any page of any role, $tables_before tables still there"

# ---- 5. oversized ----
big=$(head -c 70000 /dev/zero | tr '\0' a)
# one field more than a form may have (web/http.h)
max_fields=$(sed -nE 's/^#define HTTP_FORM_FIELDS +([0-9]+).*/\1/p' "$WELDREG_SOURCE_DIR/web/http.h")
[[ -n $max_fields ]] || wr_fail "no HTTP_FORM_FIELDS in web/http.h"
many=$(seq 1 $((max_fields + 1)) | sed 's/.*/f&=1/' | paste -sd'&' -)
for line in "${routes[@]}"; do
    read -r method path gate need <<<"$line"
    [[ $method == POST ]] || continue
    url=$(url_of "$path")
    # Expect: 100-continue, as browsers' large uploads: the refusal comes before the body (sent
    # anyway, curl could find the connection closed under it: a broken pipe, not an answer)
    st=$(as admin -X POST -H 'Expect: 100-continue' --data-binary "x=$big" "$WR_WEB_URL$url")
    [[ $st == 413 ]] || wr_fail "POST $url with 70 KB: $st"
    st=$(as admin -X POST -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
        --data-binary "{\"x\":\"$big\"}" "$WR_WEB_URL$url")
    [[ $st == 413 ]] || wr_fail "POST $url with 70 KB of JSON: $st"
    st=$(as admin -X POST -d "$many" "$WR_WEB_URL$url")
    [[ $st == 400 ]] || wr_fail "POST $url with $((max_fields + 1)) fields: $st"
    st=$(as admin -X POST --data-binary "x=$(head -c 1100 /dev/zero | tr '\0' a)" "$WR_WEB_URL$url")
    [[ $st == 400 ]] || wr_fail "POST $url with a field of 1100 bytes: $st"
done
hdrs=()
for i in $(seq 1 300); do hdrs+=(-H "X-Many-$i: $(printf '%080d' "$i")"); done
st=$(req "${hdrs[@]}" "$WR_WEB_URL/login" 2>/dev/null || true)
[[ $st =~ ^(400|413|431|000)$ ]] || wr_fail "300 headers: $st"
st=$(req -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' b)" "$WR_WEB_URL/login" 2>/dev/null || true)
[[ $st =~ ^(413|431|000)$ ]] || wr_fail "a 40 KB header: $st"
st=$(req "$WR_WEB_URL/$(head -c 20000 /dev/zero | tr '\0' c)" 2>/dev/null || true)
[[ $st =~ ^(404|414|431|000)$ ]] || wr_fail "a 20 KB path: $st"
[[ $(req "$WR_WEB_URL/login") == 200 ]] && kill -0 "$WR_WEB_PID" || wr_fail "the server after the oversized requests"
wr_ok "oversized: every POST refuses 70 KB (form and JSON: 413), $((max_fields + 1)) fields and a 1100-byte field (400); 300 headers, a 40 KB header, a 20 KB path refused; the server answers"

# ---- 6. slowloris ----
cat >"$WR_TMP/slow.py" <<'EOF'
# slow.py PORT CA N TRICKLE_S: N TLS connections, each from its own loopback address, send a
# request line and one header, then one more header line every TRICKLE_S seconds; meanwhile a
# normal request is timed. Prints "normal STATUS SECONDS", then "cut SECONDS" per connection
# (from its first bytes to the server closing it).
import socket, ssl, sys, threading, time, http.client

port, ca, n, trickle = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)
cuts = []
ready = threading.Barrier(n + 1)

def slow(i):
    raw = socket.create_connection(('127.0.0.1', port), timeout=30,
                                   source_address=('127.0.%d.%d' % (1 + i // 200, 10 + i % 200), 0))
    s = ctx.wrap_socket(raw, server_hostname='127.0.0.1')
    s.sendall(b'GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    start = time.monotonic()
    ready.wait()
    while True:
        s.settimeout(trickle)
        try:
            if s.recv(1) == b'':
                break
            break  # the server answered (a 408 or so): it ended the request
        except socket.timeout:
            try:
                s.sendall(b'X-Slow: 1\r\n')
            except OSError:
                break
        except OSError:
            break
        if time.monotonic() - start > 60:
            break
    cuts.append(time.monotonic() - start)
    s.close()

threads = [threading.Thread(target=slow, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
ready.wait()
time.sleep(0.5)
t0 = time.monotonic()
c = http.client.HTTPSConnection('127.0.0.1', port, context=ctx, timeout=10)
c.request('GET', '/login')
st = c.getresponse().status
print('normal', st, '%.2f' % (time.monotonic() - t0), flush=True)
for t in threads:
    t.join()
for x in cuts:
    print('cut', '%.2f' % x)
EOF
port=${WR_WEB_URL##*:}
# slowloris TRICKLE_S: 50 connections dripping a header line every TRICKLE_S seconds; a normal
# request meanwhile; each slow one cut after web_timeout_s (3 s): by the idle time-out when it
# drips more slowly, by the header deadline (web/http.c's watchdog, checked each second) when it
# drips faster. Sets $normal_s, $shortest, $longest.
slowloris() {
    timeout 90 python3 "$WR_TMP/slow.py" "$port" "$WR_CERTS_DIR/ca.crt" 50 "$1" >"$WR_TMP/slow.out" ||
        wr_fail "slow.py failed: $(tail -3 "$WR_TMP/slow.out")"
    local normal_st
    read -r _ normal_st normal_s < <(grep '^normal ' "$WR_TMP/slow.out")
    [[ $normal_st == 200 ]] || wr_fail "the normal request during the slow ones: $normal_st"
    awk -v s="$normal_s" 'BEGIN {exit !(s < 2)}' || wr_fail "the normal request took $normal_s s"
    [[ $(grep -c '^cut ' "$WR_TMP/slow.out") == 50 ]] || wr_fail "not every slow connection ended"
    longest=$(awk '/^cut / {if ($2 > m) m = $2} END {print m}' "$WR_TMP/slow.out")
    shortest=$(awk '/^cut / {if (m == "" || $2 < m) m = $2} END {print m}' "$WR_TMP/slow.out")
    awk -v l="$longest" -v s="$shortest" 'BEGIN {exit !(s >= 2 && l < 5.5)}' ||
        wr_fail "the slow connections (every $1 s) were cut after $shortest..$longest s (web_timeout_s = 3)"
}
slowloris 5
wr_ok "slowloris, a line every 5 s: 50 connections; a normal request 200 in ${normal_s} s; all cut after ${shortest}..${longest} s (idle, web_timeout_s = 3)"
slowloris 0.5
wr_ok "slowloris, a line every 0.5 s: 50 connections; a normal request 200 in ${normal_s} s; all cut after ${shortest}..${longest} s (header deadline, web_timeout_s = 3)"
[[ $(req "$WR_WEB_URL/login") == 200 ]] && kill -0 "$WR_WEB_PID" || wr_fail "the server after slowloris"
# a request whose headers came in time is not under the deadline: a slow body (a photo over a
# slow line) is cut only when silent for web_timeout_s
st=$({ printf 'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\nConnection: close\r\n\r\n'
    for i in 1 2 3 4 5 6 7 8 9 10; do printf 'a=%02d' "$i"; sleep 0.6; done; } |
    timeout 20 openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$WR_CERTS_DIR/ca.crt" 2>/dev/null |
    head -1 | tr -d '\r')
[[ $st == 'HTTP/1.1 400'* ]] || wr_fail "a body sent over 6 s was cut: '$st'"
wr_ok "a body trickled over 6 s (headers in time) is answered (400 for the nonsense form), not cut"

wr_web_stop
wr_ok "weldreg-web stopped cleanly (status 0)"
