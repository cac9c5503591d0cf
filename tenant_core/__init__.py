"""What every Kyodo module needs: app factory, configuration, database and tenancy, jobs, the CLI."""
