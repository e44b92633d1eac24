"""echo-bot: the smallest complete HoloMUSH binary plugin."""
