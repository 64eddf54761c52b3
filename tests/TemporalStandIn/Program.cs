using AbandonedCart.TemporalStandIn;

// The stand-in as a command: an in-memory Temporal for development on a machine with no Temporal server.
var port = 7233;
var timeSkipping = false;
var verbose = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length:
            port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--time-skipping":
            timeSkipping = true;
            break;
        case "--verbose":
            verbose = true;
            break;
        default:
            Console.Error.WriteLine("usage: AbandonedCart.TemporalStandIn [--port 7233] [--time-skipping] [--verbose]");
            return 2;
    }
}

await using var server = await StandInServer.StartAsync(new StandInOptions { Port = port, FreezeWhileLocked = false, Verbose = verbose });
if (timeSkipping)
{
    // Fast-forward: every wait of a journey passes as soon as nothing else is outstanding.
    server.Engine.Clock.Unlock();
}

Console.WriteLine($"In-process Temporal stand-in listening on {server.Target} (namespace default).");
Console.WriteLine("This is an in-memory stand-in for development: nothing survives a restart, there is one node, " +
    "visibility is a basic list, and there is no Web UI. Production runs on a real Temporal server.");
Console.WriteLine(timeSkipping
    ? "Time skipping is on: timers fire as soon as no workflow task or activity is outstanding."
    : "Time runs with the wall clock.");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
return 0;
