-- 007: audit samples (`sentiment label --audit N`): uniform random draws of classified comments
-- whose human labels measure the classifier's error, so shares can be corrected (PPI++).
-- Audit labels are ground truth for measurement and never train a model: labels.purpose keeps
-- them apart from the training labels.
ALTER TABLE labels ADD COLUMN purpose VARCHAR NOT NULL DEFAULT 'train';
ALTER TABLE labels ADD COLUMN audit_id VARCHAR;

-- One row per draw: its frame (which documents could be drawn), the model then active, the seed.
CREATE TABLE audits (
    audit_id      VARCHAR PRIMARY KEY,
    drawn_at      TIMESTAMP NOT NULL,
    seed          INTEGER NOT NULL,
    model_version VARCHAR,
    event_id      VARCHAR,
    since         DATE,
    until         DATE,
    frame_n       BIGINT NOT NULL,   -- classified comments the draw was uniform over
    n_drawn       BIGINT NOT NULL
);

-- The drawn documents in the order shown, so a half-finished audit resumes where it stopped.
CREATE TABLE audit_items (
    audit_id  VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    doc_id    VARCHAR NOT NULL,
    PRIMARY KEY (audit_id, position)
);

-- Corrected shares come from PPI++ over the audit (method 'ppi'); how many audit labels each
-- estimate used, and whether they came from the window itself or were pooled from all audits.
ALTER TABLE adjusted_shares ADD COLUMN n_audit BIGINT;
ALTER TABLE adjusted_shares ADD COLUMN audit_scope VARCHAR;
ALTER TABLE event_effects ADD COLUMN n_audit_before BIGINT;
ALTER TABLE event_effects ADD COLUMN n_audit_after BIGINT;
ALTER TABLE event_effects ADD COLUMN audit_scope VARCHAR;
