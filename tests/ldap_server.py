"""A real OpenLDAP server for the directory-login stories: Debian's slapd, started by the test
session on a free port of 127.0.0.1 with a small copy of the ministry's directory, and stopped at
the end. Not a mock: binds, searches, group filters and a server that stops are the real thing.

The configuration is a slapd.conf in a temporary folder (`slapd -f`; the mdb backend loaded as a
module, as Debian builds it), the data loaded offline with slapadd. A system slapd, if one runs, is
left alone: this one has its own folder and port.

    dc=mindef,dc=gob,dc=pe
      ou=personas    rquispe (mesa-ayuda), jtorres (soporte-tecnico), mflores (both groups),
                     lhuaman (no group), cvargas (coordinación de infraestructura)
      ou=grupos      groupOfNames mesa-ayuda, soporte-tecnico, coordinacion-infraestructura
      ou=servicios   cn=mapro, the service account that searches
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SUFFIX = "dc=mindef,dc=gob,dc=pe"
PEOPLE = f"ou=personas,{SUFFIX}"
GROUPS = f"ou=grupos,{SUFFIX}"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "raiz-del-directorio-2026"
SERVICE_DN, SERVICE_PASSWORD = f"cn=mapro,ou=servicios,{SUFFIX}", "cuenta de servicio mapro"
PASSWORD = "Clave del directorio 2026"   # every person's password in this directory

# uid -> (given name, surname, e-mail, ou attribute (unit), groups)
PERSONS = {
    "rquispe": ("Rosa", "Quispe Mamani", "rquispe@mindef.gob.pe", "OGTIE", ["mesa-ayuda"]),
    "jtorres": ("Jorge", "Torres Salas", "jtorres@mindef.gob.pe", "OGTIE", ["soporte-tecnico"]),
    "mflores": ("María", "Flores Ccama", "mflores@mindef.gob.pe", "OGTIE", ["mesa-ayuda", "soporte-tecnico"]),
    "lhuaman": ("Lucía", "Huamán Rojas", "lhuaman@mindef.gob.pe", "Secretaría General", []),
    "cvargas": ("César", "Vargas León", "cvargas@mindef.gob.pe", "OGTIE", ["coordinacion-infraestructura"]),
}
GROUP_NAMES = ["mesa-ayuda", "soporte-tecnico", "coordinacion-infraestructura"]

SLAPD, SLAPADD = "/usr/sbin/slapd", "/usr/sbin/slapadd"


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


def ssha(password: str) -> str:
    """{SSHA} as slappasswd writes it: SHA-1 of password + salt, then the salt, in base64."""
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def _ldif() -> str:
    def b64(value: str) -> str:   # LDIF wants base64 for anything not ASCII
        return value if value.isascii() else base64.b64encode(value.encode()).decode()

    def line(attr: str, value: str) -> str:
        return f"{attr}: {value}" if value.isascii() else f"{attr}:: {b64(value)}"

    entries = [
        [f"dn: {SUFFIX}", "objectClass: dcObject", "objectClass: organization", "dc: mindef",
         "o: Ministerio de Defensa"],
        *([f"dn: ou={ou},{SUFFIX}", "objectClass: organizationalUnit", f"ou: {ou}"]
          for ou in ("personas", "grupos", "servicios")),
        [f"dn: {SERVICE_DN}", "objectClass: organizationalRole", "objectClass: simpleSecurityObject", "cn: mapro",
         f"userPassword: {ssha(SERVICE_PASSWORD)}"],
    ]
    for uid, (given, surname, mail, unit, _) in PERSONS.items():
        entries.append([f"dn: {person_dn(uid)}", "objectClass: inetOrgPerson", f"uid: {uid}",
                        line("cn", f"{given} {surname}"), line("givenName", given), line("sn", surname),
                        f"mail: {mail}", line("ou", unit), f"userPassword: {ssha(PASSWORD)}"])
    for name in GROUP_NAMES:
        members = [uid for uid, spec in PERSONS.items() if name in spec[4]]
        entries.append([f"dn: {group_dn(name)}", "objectClass: groupOfNames", f"cn: {name}",
                        *(f"member: {person_dn(uid)}" for uid in members)])
    return "\n\n".join("\n".join(e) for e in entries) + "\n"


def _config(folder: Path) -> str:
    schema = Path("/etc/ldap/schema")
    return "\n".join([
        *(f"include {schema / name}.schema" for name in ("core", "cosine", "inetorgperson")),
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        f"pidfile {folder / 'slapd.pid'}",
        f"argsfile {folder / 'slapd.args'}",
        "database mdb",
        f'suffix "{SUFFIX}"',
        f'rootdn "{ROOT_DN}"',
        f"rootpw {ssha(ROOT_PASSWORD)}",
        f"directory {folder / 'data'}",
        "maxsize 16777216",
        # Like AD: passwords are only ever compared by a bind; nobody reads anything anonymously.
        "access to attrs=userPassword by anonymous auth by * none",
        "access to * by users read by * none",
        "",
    ])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LdapServer:
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.folder / "slapd.log", "ab")
        # -d keeps slapd in the foreground (a child of this process, stopped by us); level 0: quiet.
        self.process = subprocess.Popen([SLAPD, "-d", "0", "-h", f"{self.url}/", "-f", str(self.folder / "slapd.conf")],
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"slapd stopped at once (exit {self.process.returncode}):\n"
                            f"{(self.folder / 'slapd.log').read_text(errors='replace')[-2000:]}")
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"slapd did not answer on {self.url} within 20 s")

    def _answers(self) -> bool:
        import ldap3

        try:
            connection = ldap3.Connection(ldap3.Server(self.url, connect_timeout=1, get_info=ldap3.NONE),
                                          ROOT_DN, ROOT_PASSWORD, receive_timeout=2)
            ok = connection.bind()
            connection.unbind()
            return ok
        except ldap3.core.exceptions.LDAPException:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    @contextlib.contextmanager
    def stopped(self):
        """The directory down for a while (then up again, same port and data)."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def admin(self):
        """A connection as the directory's administrator, to change people and groups."""
        import ldap3

        connection = ldap3.Connection(ldap3.Server(self.url, get_info=ldap3.NONE), ROOT_DN, ROOT_PASSWORD,
                                      auto_bind=True, raise_exceptions=True)
        return connection

    def change_member(self, group: str, uid: str, add: bool) -> None:
        """Put a person in a group of the directory, or take them out."""
        import ldap3

        connection = self.admin()
        try:
            connection.modify(group_dn(group), {"member": [(ldap3.MODIFY_ADD if add else ldap3.MODIFY_DELETE,
                                                            [person_dn(uid)])]})
        finally:
            connection.unbind()


def start_ldap_server(folder: Path) -> LdapServer:
    """Write the configuration and the data into `folder` and start slapd (pytest.fail if slapd is
    not installed: the stories must not pass silently without a directory)."""
    missing = [p for p in (SLAPD, SLAPADD) if not (Path(p).exists() or shutil.which(Path(p).name))]
    if missing:
        pytest.fail(f"OpenLDAP's slapd is not installed ({', '.join(missing)} missing): the directory-login "
                    "tests need a real directory. Install it with: echo 'slapd slapd/no_configuration boolean "
                    "true' | debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y slapd "
                    "ldap-utils  (.ci/run does this).")
    (folder / "data").mkdir(parents=True)
    (folder / "slapd.conf").write_text(_config(folder))
    (folder / "data.ldif").write_text(_ldif(), encoding="utf-8")
    loaded = subprocess.run([SLAPADD, "-f", str(folder / "slapd.conf"), "-l", str(folder / "data.ldif")],
                            capture_output=True, text=True, timeout=60)
    if loaded.returncode != 0:
        pytest.fail(f"slapadd could not load the test directory:\n{loaded.stdout}\n{loaded.stderr}")
    server = LdapServer(folder, _free_port())
    server.start()
    return server
