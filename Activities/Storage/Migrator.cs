using EvolveDb;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Applies the versioned SQL migrations embedded from <c>Activities/Migrations</c> with Evolve.</summary>
public static class Migrator
{
    public static void Migrate(string connectionString, ILogger? logger = null)
    {
        using var connection = new NpgsqlConnection(connectionString);
        var evolve = new Evolve(connection, msg => logger?.LogInformation("{Migration}", msg))
        {
            EmbeddedResourceAssemblies = [typeof(Migrator).Assembly],
            EmbeddedResourceFilters = ["AbandonedCart.Activities.Migrations"],
            IsEraseDisabled = true,
            EnableClusterMode = true,
        };
        evolve.Migrate();
    }
}
