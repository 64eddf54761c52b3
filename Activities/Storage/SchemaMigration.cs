using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Storage;

/// <summary>
/// Applies pending migrations while the host starts. Registered before the Temporal worker, so no activity runs
/// against an old schema; Evolve's cluster mode lets several hosts start at once.
/// </summary>
public sealed class SchemaMigration(IOptions<ConnectionStrings> connectionStrings, ILogger<SchemaMigration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.Run(() => Migrator.Migrate(connectionStrings.Value.Postgres, logger), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Section <c>ConnectionStrings</c>; <c>Postgres</c> is the application database (env <c>ConnectionStrings__Postgres</c>).</summary>
public sealed class ConnectionStrings
{
    public const string Section = "ConnectionStrings";

    public string Postgres { get; set; } = string.Empty;
}
