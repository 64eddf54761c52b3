using System.Text;
using Microsoft.Extensions.Primitives;

namespace AbandonedCart.Api.Reports;

/// <summary>
/// The admin key (<c>Admin:ApiKey</c>) guards the report API as a bearer token and the dashboard as the HTTP Basic
/// password of user <c>admin</c>. With no key configured nothing is let in, so a forgotten setting never opens data.
/// </summary>
public static class AdminAccess
{
    public const string ConfigKey = Security.AdminAuth.ConfigKey;
    public const string BasicUser = "admin";

    /// <summary>The bearer check shared with the admin endpoints (<see cref="Security.AdminAuth"/>).</summary>
    public static bool IsBearer(StringValues authorization, string? adminKey) => Security.AdminAuth.IsBearer(authorization, adminKey);

    public static bool IsBasic(StringValues authorization, string? adminKey)
    {
        var header = authorization.ToString();
        const string prefix = "Basic ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[prefix.Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && decoded[..colon] == BasicUser && Security.AdminAuth.KeyMatches(decoded[(colon + 1)..], adminKey);
    }
}
