-- Run once by the postgres image of temporal-dev.yml: the application's own database and role.
CREATE ROLE app LOGIN PASSWORD 'app';
CREATE DATABASE abandoned_cart OWNER app;
