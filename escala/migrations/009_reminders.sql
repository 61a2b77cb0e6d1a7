-- Reminders inside the app. An item may carry one, some minutes before its time (Desde, or the
-- task's Fecha); it is due from then on, and `notified_at` records the toast that announced it,
-- so it fires once (moving the item clears it). A user's `reminder_minutes` is what a new
-- item's form starts from (NULL: none; 15 as the .ics files had).
CREATE TABLE reminders (
    item_id BIGINT PRIMARY KEY,
    minutes_before INTEGER NOT NULL CHECK (minutes_before IN (0, 15, 60, 1440)),
    notified_at TIMESTAMP
);
ALTER TABLE users ADD COLUMN reminder_minutes INTEGER DEFAULT 15;
