using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Erasure;

/// <summary>The Worker host runs the audience removal loop, bound to <c>AudienceRemovals</c> and validated on start.</summary>
public sealed class AudienceRemovalHostingTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public void AddWorkerServices_Configured_RunsTheRemovalLoopWithTheConfiguredBackoff()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Providers:Outbox"] = "true", ["AudienceRemovals:RetryBase"] = "00:01:00" });

        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is AudienceRemovalLoop);
        var options = host.Services.GetRequiredService<IOptions<AudienceRemovalOptions>>().Value;
        Assert.Equal((TimeSpan.FromMinutes(1), TimeSpan.FromHours(6), true), (options.RetryBase, options.RetryMax, options.Enabled));
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4)], [options.Backoff(0), options.Backoff(1), options.Backoff(2)]);
        Assert.Equal(TimeSpan.FromHours(6), options.Backoff(30));
    }

    [Fact]
    public async Task StartAsync_RetryMaxBelowRetryBase_FailsNamingTheSection()
    {
        using var host = Build(new()
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Providers:Outbox"] = "true", ["AudienceRemovals:RetryBase"] = "00:10:00", ["AudienceRemovals:RetryMax"] = "00:01:00",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AudienceRemovals", error.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddWorkerServices();
        return builder.Build();
    }
}
