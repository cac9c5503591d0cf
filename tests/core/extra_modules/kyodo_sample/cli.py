import click


@click.command("sample")
def sample() -> None:
    """The sample module's command."""
    click.echo("sample command ran")
