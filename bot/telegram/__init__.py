"""The python-telegram-bot adapter: Update -> engine -> actions carried out with the Bot API.

`convert` reads updates, `send` carries out actions, `app` assembles the Application,
`run` is `helpdesk run`. Nothing here decides what to say: that is the engine's job.
"""
