using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbandonedCart.TemporalStandIn;

/// <summary>The stand-in served over gRPC (HTTP/2 without TLS) on loopback.</summary>
public sealed class StandInServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private StandInServer(WebApplication app, StandInEngine engine, int port)
    {
        this.app = app;
        Engine = engine;
        Port = port;
    }

    public StandInEngine Engine { get; }

    public int Port { get; }

    /// <summary>host:port for <c>TemporalClientConnectOptions.TargetHost</c>.</summary>
    public string Target => $"127.0.0.1:{Port}";

    public static async Task<StandInServer> StartAsync(StandInOptions? options = null)
    {
        options ??= new StandInOptions();
        var engine = new StandInEngine(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port, o => o.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        if (options.Verbose)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        }

        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024 * 1024);
        builder.Services.AddSingleton(engine);
        var app = builder.Build();
        app.MapGrpcService<StandInWorkflowService>();
        app.MapGrpcService<StandInTestService>();
        app.MapGrpcService<StandInOperatorService>();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await engine.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StandInServer(app, engine, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(stopping.Token);
        await app.DisposeAsync();
    }
}
