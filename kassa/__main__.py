from kassa.cli import app

app()
