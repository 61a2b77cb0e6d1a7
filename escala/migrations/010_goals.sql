-- Goals per rep, set by administrators: how many activities (all, or of one type) or tasks a
-- user should complete per week or per month. Progress is counted from the rollups by the
-- day each item was completed, in the team's calendar (escala/analytics.py, goal_progress).
CREATE TABLE goals (
    user_id INTEGER NOT NULL,
    period VARCHAR NOT NULL CHECK (period IN ('Semana', 'Mes')),
    measure VARCHAR NOT NULL CHECK (measure IN ('Actividades', 'Webinar', 'Evento', 'Llamada', 'Reunión', 'Otro',
                                                'Tareas')),
    target INTEGER NOT NULL CHECK (target BETWEEN 1 AND 100000),
    updated_at TIMESTAMP NOT NULL,
    updated_by INTEGER,
    PRIMARY KEY (user_id, period, measure)
);
