function mpc = nobus
mpc.version = '2';
mpc.baseMVA = 100;
