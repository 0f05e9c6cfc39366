// Package bot is the dialog runtime and the use cases of bots (issue 17):
// the bot document, read as JSON or YAML (ParseDocument, with a fuzz target
// and a table of hostile inputs), its templates compiled once per save
// (Compile), the Service behind /api/v1/bots, and the Runtime that runs a
// bot's dialog for the channels.
//
// The Runtime handles one message of a session at a time: the session's
// lock (LockBotSession of the store: an advisory lock on PostgreSQL, held
// on a connection of its own, so that processes sharing one database take
// turns; an in-process lock on SQLite, whose data directory one process
// serves) is held for the whole step, webhooks included, while no
// transaction is: the step reads the session, runs in memory, and saves
// the session, its step and its counters in one short transaction.
//
// Accepted (async) messages go to an inbox table first and are handled in
// the background, in order per session, by whichever process holds the
// session's lock; each reply is handed to the one ReplySink of the
// runtime, which tells channels apart by InboundMessage.ChannelID. A
// message whose step was saved but whose reply was not handed over is
// handed over again, so a crash loses nothing and repeats at most the
// hand-over.
package bot
