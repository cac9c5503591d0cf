"""個人状況照会: one screen with a person's situation across modules, opened only with a stated reason."""
