-- One row per pair of deterministic clusters worth comparing: some of their records share a blocking
-- key (the name read either way round with nicknames resolved, postcode, phone, email local part,
-- birth date + last name) or an initial meets a full first name with the same last name.
with

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters_deterministic') }}
),

keyed_nodes as (
    select nodes.*, clusters.cluster_node_id
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
),

block_keys as (
    select distinct cluster_node_id, block_key from (
        select cluster_node_id, 'name:' || first_name_canon || '|' || last_name as block_key
        from keyed_nodes where length(first_name) > 1 and last_name is not null
        union all
        select cluster_node_id, 'name:' || last_name_canon || '|' || first_name
        from keyed_nodes where length(first_name) > 1 and last_name is not null
        union all
        select cluster_node_id, 'postcode:' || postcode_norm from keyed_nodes where postcode_norm is not null
        union all
        select cluster_node_id, 'phone:' || phone_e164 from keyed_nodes where phone_e164 is not null
        union all
        select cluster_node_id, 'local:' || email_local from keyed_nodes where length(email_local) >= 4
        union all
        select cluster_node_id, 'dob:' || birth_date::varchar || '|' || last_name
        from keyed_nodes where birth_date is not null and last_name is not null
    )
),

initial_keys as (
    -- "J. Smith": initials pair with full first names of the same initial and last name
    select distinct cluster_node_id, left(first_name, 1) || '|' || last_name as initial_key,
        length(first_name) = 1 as is_initial
    from keyed_nodes where first_name is not null and last_name is not null
),

shared_key_pairs as (
    select distinct left_side.cluster_node_id as cluster_a, right_side.cluster_node_id as cluster_b
    from block_keys as left_side
    inner join block_keys as right_side
        on left_side.block_key = right_side.block_key
        and left_side.cluster_node_id < right_side.cluster_node_id
),

initial_pairs as (
    select distinct least(initials.cluster_node_id, full_names.cluster_node_id) as cluster_a,
        greatest(initials.cluster_node_id, full_names.cluster_node_id) as cluster_b
    from initial_keys as initials
    inner join initial_keys as full_names
        on initials.initial_key = full_names.initial_key
        and initials.is_initial
        and initials.cluster_node_id <> full_names.cluster_node_id
),

final as (
    select cluster_a, cluster_b from shared_key_pairs
    union
    select cluster_a, cluster_b from initial_pairs
)

select * from final
