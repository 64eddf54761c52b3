using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace AbandonedCart.Api.Security;

/// <summary>
/// Admin and report endpoints answer only to <c>Authorization: Bearer &lt;Admin:ApiKey&gt;</c>. Without a configured key
/// every request is refused: an unset key must not open the endpoints.
/// </summary>
public sealed class AdminAuth(IConfiguration configuration) : IEndpointFilter
{
    public const string ConfigKey = "Admin:ApiKey";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (IsBearer(context.HttpContext.Request.Headers.Authorization, configuration[ConfigKey]))
        {
            return await next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "This endpoint needs Authorization: Bearer <admin API key>.");
    }

    /// <summary>Constant time: both sides are hashed first, so neither the key's content nor its length leaks.</summary>
    public static bool IsBearer(StringValues authorization, string? adminKey)
    {
        const string scheme = "Bearer ";
        if (string.IsNullOrEmpty(adminKey) || authorization.Count != 1 || authorization[0] is not { } value
            || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return KeyMatches(value[scheme.Length..].Trim(), adminKey);
    }

    /// <summary>True when <paramref name="given"/> is the configured key; false when no key is configured.</summary>
    public static bool KeyMatches(string given, string? adminKey) =>
        !string.IsNullOrEmpty(adminKey)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(adminKey)));
}

/// <summary>Puts endpoints behind <see cref="AdminAuth"/>.</summary>
public static class AdminAuthExtensions
{
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, AdminAuth>();
}
