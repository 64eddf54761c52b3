// Entry point of the Worker host.
// TEMPORARY (harness branch): dispatch `simulate` until the real Program.cs lands from main.
if (args.Length > 0 && args[0] == "simulate")
{
    return await AbandonedCart.Worker.Simulation.SimulateCommand.RunAsync(args[1..]);
}

return 0;
