// Entry point of the Worker host.
return 0;
