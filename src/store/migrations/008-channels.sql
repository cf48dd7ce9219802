-- Earshot schema v8: conversations that are not calls (chat, messaging, e-mail) and calls transcribed
-- elsewhere. A conversation is a calls row whose parties send messages; each message is stored as an
-- utterance (redacted before it is written) and indexed here for idempotency and text KPIs.
-- channel: voice | chat | wechat | app | email | sms (src/call/types.ts Channel).
ALTER TABLE calls ADD COLUMN channel TEXT NOT NULL DEFAULT 'voice';
CREATE INDEX calls_channel ON calls(channel, started_at);

CREATE TABLE conversation_messages (
  call_id  TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  msg_key  TEXT NOT NULL,                    -- the source's message id, or sha256 of the message content
  party    TEXT NOT NULL CHECK (party IN ('customer','agent','bot')),
  at       INTEGER NOT NULL,                 -- epoch ms the message was sent
  end_at   INTEGER,                          -- transcribed speech: end of the utterance
  seq      INTEGER NOT NULL,                 -- the utterance's seq on its party's leg
  PRIMARY KEY (call_id, msg_key)
);
CREATE INDEX conversation_messages_at ON conversation_messages(call_id, at);
