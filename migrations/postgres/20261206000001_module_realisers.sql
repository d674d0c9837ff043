-- What realises a roadmap module in AWS: an ECS service ("ecs:<service>") or
-- an SSM parameter prefix ("ssm:/path/"). A succeeded provision or deploy job
-- that changes one marks the module deployed in the job's environment.
CREATE TABLE roadmap_module_realisers (
    module_slug TEXT NOT NULL,
    realiser    TEXT NOT NULL,
    PRIMARY KEY (module_slug, realiser)
);
CREATE INDEX roadmap_module_realisers_by_realiser ON roadmap_module_realisers (realiser);
