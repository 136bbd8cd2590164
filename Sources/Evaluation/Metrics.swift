import ArenaData
