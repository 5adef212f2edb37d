"""The sandbox: the real bot against the built-in Telegram emulator, with sample people in
every role and a web page that plays each of them (`humas-bot sandbox`)."""
