"""The python-telegram-bot adapter: Update -> engine -> actions carried out with the Bot API.

`convert` reads updates, `send` carries out actions (`split` cuts long texts), `app` builds
the Application and attaches an engine to it, `errors` and `pseudonym` keep logs free of
what children wrote, `menu` holds the command menus, and `cli`/`run` are `helpdesk run`.
Nothing here decides what to say: that is the engine's job.
"""
