def load_demo(db, settings, slugs):
    yield f"sample demo for {', '.join(slugs)}"
