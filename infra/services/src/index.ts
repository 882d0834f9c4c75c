export { freePort } from './ports';
export { startPostgres, postgresBinDir, type PostgresOptions, type RunningPostgres } from './postgres';
export { startRedis, type RedisOptions, type RunningRedis } from './redis';
export { ServiceProcess, startProcess, runCommand, waitFor } from './process';
export { renderNginxConfig, startNginx, type NginxOptions, type RunningNginx } from './nginx';
