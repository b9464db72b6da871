-- The funding rules the review queue's fundable line is drawn with (issue 14): quorum and score
-- threshold, written from the settings by each process that runs the projections. Not a table of
-- the projection: a rebuild replaces the projection's tables, never this configuration.
CREATE TABLE review_policy (
    singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    quorum               integer NOT NULL CHECK (quorum >= 1),
    threshold_hundredths integer NOT NULL CHECK (threshold_hundredths BETWEEN 0 AND 10000)
);
INSERT INTO review_policy (quorum, threshold_hundredths) VALUES (2, 5000);
