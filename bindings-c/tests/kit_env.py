"""Prints `export NAME=value` lines for the C tests from the test kit's JSON
line (argv[1]): endpoints, CA, certificate app, and a refresh token for alice
obtained with the password grant (the C API has no call that reveals one)."""
import json
import shlex
import ssl
import sys
import urllib.parse
import urllib.request

info = json.loads(sys.argv[1])
env = {
    "TK_AUTHORITY": info["authority"],
    "TK_TENANT": info["tenant_id"],
    "TK_CA": info["ca_path"],
    "TK_CONTROL_URL": info["control_url"],
    "TK_CERT_CLIENT": info["cert_app"]["client_id"],
    "TK_CERT_PATH": info["cert_app"]["cert_path"],
    "TK_KEY_PATH": info["cert_app"]["key_path"],
    "TK_CERT_PEM": info["cert_app"]["pem_path"],
}
for service in ("smtp", "imap", "pop3"):
    if service in info:
        env["TK_MAIL_HOST"] = info[service]["host"]
        env[f"TK_{service.upper()}_STARTTLS_PORT"] = str(info[service]["starttls_port"])
        env[f"TK_{service.upper()}_TLS_PORT"] = str(info[service]["tls_port"])
if "graph_url" in info:
    env["TK_GRAPH_URL"] = info["graph_url"]

form = urllib.parse.urlencode({
    "grant_type": "password",
    "client_id": "44444444-4444-4444-4444-444444444444",
    "username": "alice@example.test",
    "password": "alice-password",
    "scope": "https://outlook.office365.com/.default offline_access",
}).encode()
ctx = ssl.create_default_context(cafile=info["ca_path"])
with urllib.request.urlopen(info["token_url"], data=form, context=ctx, timeout=30) as resp:
    env["TK_REFRESH_TOKEN"] = json.load(resp)["refresh_token"]

for name, value in env.items():
    print(f"export {name}={shlex.quote(value)}")
