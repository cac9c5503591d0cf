"""`kyodo certificates ...`: the operator's commands of 証明書交付 (each city's signing key)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("certificates")
def certificates() -> None:
    """証明書交付: the cities' signing keys."""


@certificates.command("make-signing-key")
@click.argument("slug")
@click.option(
    "--replace", is_flag=True, help="Replace an existing key (certificates already issued keep theirs)."
)
@with_appcontext
def make_signing_key_command(slug: str, replace: bool) -> None:
    """Make SLUG's signing key and self-issued certificate (var/tenants/SLUG/signing.p12, .crt).

    The key file is PKCS#12 encrypted with KYODO_SIGNING_PASSPHRASE; it never enters the database.
    """
    from modules.certificates import signing
    from tenant_core.extensions import get_settings
    from tenant_core.tenancy import find_tenant

    tenant = find_tenant(slug)
    if tenant is None:
        raise click.ClickException(f"no city {slug!r}")
    settings = get_settings()
    path = signing.key_path(settings, slug)
    existed = path.exists()
    signing.make_signing_key(settings, slug, tenant.name, replace=replace)
    if existed and not replace:
        click.echo(f"{slug}: a signing key exists already ({path}); --replace makes a new one")
    else:
        cert = signing.city_certificate(settings, slug)
        click.echo(f"{slug}: signing key written to {path}")
        click.echo(f"  certificate: {cert.subject.human_friendly}; SHA-256 {cert.sha256.hex()}")
