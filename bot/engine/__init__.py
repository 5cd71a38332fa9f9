"""The Telegram-free conversation engine: `core.ConversationEngine`, built by `assemble`.

One module per concern (onboarding, questions, tickets, volunteer, coordinator, privacy,
guards), routed in one explicit order by `core`; the state diagram is in `states`.
"""
