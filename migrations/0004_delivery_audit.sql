-- Webhook deliveries (digests and alerts sent as a member) in the same trail: how each ended and after how many tries.
ALTER TABLE audit_log ADD COLUMN status TEXT;
ALTER TABLE audit_log ADD COLUMN attempts INTEGER;
