"""Danish language helpers: number words in both directions, weekdays, months and holidays."""
