-- The RDS DB instance identifier of an environment's database (health watches
-- it); NULL = none.
ALTER TABLE environments ADD COLUMN database_id TEXT;
