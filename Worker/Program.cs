using Microsoft.Extensions.Hosting;
using AbandonedCart.Worker;
using AbandonedCart.Worker.Commands;
using AbandonedCart.Worker.Simulation;

// Commands run instead of the worker host; each gets the arguments after its name.
switch (args.FirstOrDefault())
{
    case "simulate":
        return await SimulateCommand.RunAsync(args[1..]);
    case "seed-demo":
        return await SeedDemoCommand.RunAsync(args[1..]);
}

var builder = Host.CreateApplicationBuilder(args);
builder.AddWorkerServices();
await builder.Build().RunAsync();
return 0;
