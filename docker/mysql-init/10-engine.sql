-- docker-compose: the workflow engine's own database on the platform's MySQL, beside the app's
-- `budget` (never the app's tables). Runs once, when the data volume is empty. The engine expects
-- a case-sensitive collation; it creates its tables itself on first start.
CREATE DATABASE IF NOT EXISTS budget_engine CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
GRANT ALL PRIVILEGES ON budget_engine.* TO 'budget'@'%';
