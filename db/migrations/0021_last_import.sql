-- What a run's last import left: the digest of its files, with the tables' marks and the label and
-- embeddings versions then, so the same files imported again answer "unchanged" without a pass.
ALTER TABLE "model_runs" ADD COLUMN "last_import" jsonb;
