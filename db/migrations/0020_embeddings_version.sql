-- Counts the imports that wrote a run's embeddings: a process holding the run's vector index
-- compares it in one lookup to know when another process changed them.
ALTER TABLE "model_runs" ADD COLUMN "embeddings_version" integer DEFAULT 0 NOT NULL;
